export default methodNotAllowed('DELETE')

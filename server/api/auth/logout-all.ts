export default methodNotAllowed('POST')

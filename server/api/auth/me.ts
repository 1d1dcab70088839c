export default methodNotAllowed('GET')

export default methodNotAllowed('GET', 'HEAD')

/** Unknown API paths are a JSON 404, not the app's HTML page. */
export default defineEventHandler(() => {
  throw httpError({ statusCode: 404, statusMessage: 'Not Found', message: 'No such API route' })
})

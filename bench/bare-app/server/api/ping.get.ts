export default defineEventHandler(() => true)

export default defineEventHandler((event) => {
  const { user, session } = requireSession(event)
  return { user, session: { expiresAt: session.expiresAt.toISOString() } }
})

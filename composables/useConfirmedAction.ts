import type { RouteLocationRaw } from 'vue-router'

/**
 * For an account action that cannot be undone: the start button asks, a question with Confirm and
 * Cancel appears (focus on Cancel), Confirm runs `action` (with <ReauthPrompt> in place when the
 * session is not recently authenticated), and on success the tab goes to `then`. On failure the
 * component shows `failure` and focus goes back to Cancel. The component keeps its own words and
 * markup; its buttons carry ref="startButton", ref="confirmButton" and ref="cancelButton".
 */
export function useConfirmedAction(action: () => Promise<unknown>, options: { failureMessage: string, then: RouteLocationRaw }) {
  const reauth = useReauthentication()

  const confirming = ref(false)
  const pending = ref(false)
  const failure = ref('')
  const startButton = useTemplateRef<HTMLButtonElement>('startButton')
  const cancelButton = useTemplateRef<HTMLButtonElement>('cancelButton')
  const confirmButton = useTemplateRef<HTMLButtonElement>('confirmButton')

  async function ask() {
    failure.value = ''
    confirming.value = true
    // Focus lands on the harmless choice; the group's label reads out the question.
    await nextTick()
    cancelButton.value?.focus()
  }

  async function cancel() {
    confirming.value = false
    await nextTick()
    startButton.value?.focus()
  }

  async function confirm() {
    if (pending.value) return
    pending.value = true
    failure.value = ''
    try {
      await action()
    }
    catch (error) {
      pending.value = false
      // Needs the password again: asked in place, then this runs again (or Cancel, and nothing ends).
      if (reauth.needed(error, confirm, confirmButton.value)) return
      // A 401: the session was already gone and useAuth is taking this tab to /login.
      if (error instanceof AuthRequestError && error.status === 401) return
      failure.value = options.failureMessage
      await nextTick()
      cancelButton.value?.focus()
      return
    }
    await navigateTo(options.then)
    pending.value = false
  }

  return { reauth, confirming: readonly(confirming), pending: readonly(pending), failure: readonly(failure), ask, cancel, confirm }
}

/**
 * For an action that needs recent authentication: when it answers 403
 * `reauthentication-required`, the component shows <ReauthPrompt> in place; once the password is
 * confirmed the action runs again, and Cancel leaves everything as it was. Either way focus goes
 * back to the control the action came from.
 *
 *   const reauth = useReauthentication()
 *   catch (error) { if (reauth.needed(error, retry, button.value)) return … }
 *   <ReauthPrompt v-if="reauth.prompting.value" @confirmed="reauth.confirmed" @cancel="reauth.cancel" />
 */
export function useReauthentication() {
  const prompting = ref(false)
  let retry: (() => unknown) | undefined
  let returnFocus: HTMLElement | null | undefined

  /** True when `error` asks for the password: the prompt opens, and `action` runs after it. */
  function needed(error: unknown, action: () => unknown, focusAfter?: HTMLElement | null): boolean {
    if (!isReauthenticationRequired(error)) return false
    retry = action
    returnFocus = focusAfter
    prompting.value = true
    return true
  }

  async function close() {
    prompting.value = false
    await nextTick()
    returnFocus?.focus()
  }

  async function confirmed() {
    const action = retry
    retry = undefined
    await close()
    await action?.()
  }

  async function cancel() {
    retry = undefined
    await close()
  }

  return { prompting: readonly(prompting), needed, confirmed, cancel }
}

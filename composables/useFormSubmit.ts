/**
 * The submit of an auth form: one request at a time (`pending`); the server's field errors show
 * at their fields and focus moves to the first of them; anything else is the form's error.
 *
 * - `inputs`: the fields' inputs, in the form's order (focus goes to the first with an error).
 * - `fieldErrors`: the messages a failed request has for those fields.
 * - `handled`: lets the form take an error first (e.g. an expired link); true means nothing more to show.
 */
export function useFormSubmit<Field extends string>(options: {
  inputs: Record<Field, Readonly<Ref<HTMLInputElement | null>>>
  fieldErrors: (error: AuthRequestError) => Partial<Record<Field, string>>
  handled?: (error: AuthRequestError) => boolean
}) {
  const pending = ref(false)
  const fieldErrors = shallowRef<Partial<Record<Field, string>>>({})
  const formError = ref('')

  async function showError(error: unknown) {
    if (!(error instanceof AuthRequestError)) {
      formError.value = 'Something went wrong. Please try again.'
      return
    }
    if (options.handled?.(error)) return
    const errors = options.fieldErrors(error)
    const firstField = (Object.keys(options.inputs) as Field[]).find(field => errors[field])
    if (!firstField) {
      formError.value = error.message
      return
    }
    fieldErrors.value = errors
    // Focus moves to the field so that its error (linked by aria-describedby) is read out.
    await nextTick()
    options.inputs[firstField].value?.focus()
  }

  /** Runs `request` unless one is pending, after clearing the errors of the last attempt. */
  async function submit(request: () => Promise<unknown>) {
    if (pending.value) return
    pending.value = true
    fieldErrors.value = {}
    formError.value = ''
    try {
      await request()
    }
    catch (error) {
      await showError(error)
    }
    finally {
      pending.value = false
    }
  }

  /** Typing in a field clears its error. */
  function clearFieldError(field: Field) {
    if (fieldErrors.value[field]) fieldErrors.value = { ...fieldErrors.value, [field]: undefined }
  }

  return { pending: readonly(pending), fieldErrors: readonly(fieldErrors), formError: readonly(formError), submit, clearFieldError }
}

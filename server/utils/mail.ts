import { createTransport, type Transporter } from 'nodemailer'

/**
 * Everything about outgoing mail lives here: whether it can be sent, the public origin its links
 * are built on, and delivery (SMTP, or the console in development).
 */

export interface Mail {
  to: string
  subject: string
  text: string
}

/**
 * The app's public origin (NUXT_AUTH_ORIGIN) for links in mail, normalised to
 * scheme://host[:port]. Never taken from the request's Host or X-Forwarded-Host: a forged
 * header would otherwise send a reset link, token included, to the forger's site. In
 * `nuxt dev` it defaults to the dev server's own address on localhost.
 */
export function publicOrigin(): string | undefined {
  const configured = useRuntimeConfig().auth.origin
  const value = configured || (import.meta.dev ? `http://localhost:${process.env.NUXT_PORT || process.env.NITRO_PORT || process.env.PORT || 3000}` : '')
  const url = URL.parse(value)
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined
  return url.origin
}

let warnedAboutOrigin = false

/**
 * A 503 unless this server can send mail with working links: NUXT_MAIL_SMTP_URL (or, in
 * development, the console) and a public origin. Checked before anything else, so a
 * production server without mail answers every request of a mail feature the same way.
 */
export function requireMail(): void {
  const { smtpUrl } = useRuntimeConfig().mail
  const origin = publicOrigin()
  if ((smtpUrl || import.meta.dev) && origin) return
  if (!origin && !warnedAboutOrigin) {
    warnedAboutOrigin = true
    console.error('[mail] NUXT_AUTH_ORIGIN is not set to an http(s) origin (https://app.example): features that send mail answer 503')
  }
  throw httpError({ statusCode: 503, statusMessage: 'Service Unavailable', message: 'Email is not configured on this server' })
}

/**
 * Sends the mail: over SMTP, or in development without it, to the console. Resolves once the
 * SMTP server has accepted it; a failure is logged, never thrown.
 */
export async function sendMail(mail: Mail): Promise<void> {
  const { smtpUrl, from } = useRuntimeConfig().mail
  if (!smtpUrl) {
    // Development without SMTP (requireMail lets nothing else through): the whole mail, link
    // included, goes to the console so that every flow works with no setup.
    console.info(`[mail] not sent (no NUXT_MAIL_SMTP_URL in development), printed instead:\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}`)
    return
  }
  try {
    await smtpTransport(smtpUrl).sendMail({ from: from || `no-reply@${new URL(publicOrigin()!).hostname}`, ...mail })
  }
  catch (error) {
    // The SMTP error says why (code and server reply); the mail itself, link and token
    // included, stays out of the log.
    const { code, message } = error as { code?: string, message?: string }
    console.error(`[mail] delivery of "${mail.subject}" failed: ${code ?? 'error'}: ${message ?? String(error)}`)
  }
}

let transport: { url: string, transporter: Transporter } | undefined

/** One nodemailer transport per SMTP URL, made on first use. */
function smtpTransport(url: string): Transporter {
  if (transport?.url !== url) transport = { url, transporter: createTransport(url) }
  return transport.transporter
}

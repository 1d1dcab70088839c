import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  /** The text part, decoded. */
  text: string
}

/**
 * A real SMTP server on 127.0.0.1 for one test file: the app's nodemailer talks SMTP to it over
 * TCP, and every mail it accepts is parsed and kept.
 */
export interface TestSmtpServer {
  /** NUXT_MAIL_SMTP_URL for the app. */
  url: string
  mails: ReceivedMail[]
  /** Resolves with the first `count` mails to `to`, in order, once they are in (received already or still to come). */
  mailsTo: (to: string, count?: number, timeoutMs?: number) => Promise<ReceivedMail[]>
  /** From now on, refuse every message with a 550 (or accept again). */
  refuse: (refusing: boolean) => void
  /**
   * Holds the next message before accepting it: `arrived` resolves once its data is in, and
   * the SMTP reply (the hand-over) is only sent on `release()`.
   */
  holdNext: () => { arrived: Promise<void>, release: () => void }
  close: () => Promise<void>
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = []
  const waiters: (() => void)[] = []
  let refusing = false
  let hold: { arrived: () => void, released: Promise<void> } | undefined

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    async onData(stream, session, callback) {
      try {
        const parsed = await simpleParser(stream)
        const held = hold
        hold = undefined
        if (held) {
          held.arrived()
          await held.released
        }
        if (refusing) {
          callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }))
          return
        }
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map(r => r.address),
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
        })
        callback()
        for (const wake of waiters.splice(0)) wake()
      }
      catch (error) {
        callback(error as Error)
      }
    },
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    mailsTo: (to, count = 1, timeoutMs = 10_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fewer than ${count} mails to ${to} in ${timeoutMs} ms`)), timeoutMs)
      const check = () => {
        const received = mails.filter(m => m.to.includes(to))
        if (received.length < count) return waiters.push(check)
        clearTimeout(timer)
        resolve(received.slice(0, count))
      }
      check()
    }),
    refuse: (value) => {
      refusing = value
    },
    holdNext: () => {
      let release!: () => void
      let arrived!: () => void
      const arrivedPromise = new Promise<void>((resolve) => {
        arrived = resolve
      })
      hold = { arrived, released: new Promise<void>((resolve) => {
        release = resolve
      }) }
      return { arrived: arrivedPromise, release }
    },
    close: () => new Promise(resolve => server.close(() => resolve())),
  }
}

/** The reset link and its token from a password-reset mail's text. */
export function resetLink(mail: ReceivedMail): { link: URL, token: string } {
  const match = /(\S+\/reset-password#token=([a-z2-7]+))/.exec(mail.text)
  if (!match) throw new Error(`no reset link in the mail:\n${mail.text}`)
  return { link: new URL(match[1]!), token: match[2]! }
}

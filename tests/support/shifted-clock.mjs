// Preloaded into a test server (NODE_OPTIONS=--import) to move its clock to CLOCK_SHIFT_TO (epoch
// ms, a moment shortly ahead): lets a test watch an hourly scheduled task fire without waiting.
const RealDate = Date
const offset = Number(process.env.CLOCK_SHIFT_TO) - RealDate.now()

class ShiftedDate extends RealDate {
  constructor(...args) {
    super(...(args.length ? args : [RealDate.now() + offset]))
  }

  static now() {
    return RealDate.now() + offset
  }
}

globalThis.Date = ShiftedDate

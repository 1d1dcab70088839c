import { describe, expect, it } from 'vitest'
import { describeUserAgent, parseUserAgent } from '../../shared/utils/user-agent'

// Real User-Agent headers, as the browsers send them.
const CASES: Array<[string, string, string]> = [
  ['Chrome on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    'Chrome 126 on Windows'],
  ['Chrome on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36',
    'Chrome 125 on macOS'],
  ['Chrome on Linux',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Chrome 124 on Linux'],
  ['Chrome on Android (reduced UA)',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
    'Chrome 126 on Android 10'],
  ['Chrome on iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
    'Chrome 126 on iOS 17.5'],
  ['Chrome on ChromeOS',
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    'Chrome 126 on ChromeOS'],
  ['headless Chromium (the test browser)',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36',
    'Chrome 131 on Linux'],
  ['Edge on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.68',
    'Edge 126 on Windows'],
  ['Edge on Android',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36 EdgA/125.0.2535.87',
    'Edge 125 on Android 10'],
  ['Edge on iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/126.2592.56 Mobile/15E148 Safari/605.1.15',
    'Edge 126 on iOS 17.5'],
  ['legacy Edge',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045',
    'Edge 18 on Windows'],
  ['Firefox on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
    'Firefox 127 on Windows'],
  ['Firefox on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0',
    'Firefox 127 on macOS'],
  ['Firefox on Linux',
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
    'Firefox 127 on Linux'],
  ['Firefox on Fedora',
    'Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    'Firefox 128 on Linux'],
  ['Android WebView (an in-app browser)',
    'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.0.0 Mobile Safari/537.36',
    'Chrome 118 on Android 13'],
  ['Firefox on Android',
    'Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0',
    'Firefox 127 on Android 14'],
  ['Firefox on iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15',
    'Firefox 127 on iOS 17.5'],
  ['Safari on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    'Safari 17 on macOS'],
  ['Safari on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    'Safari 17 on iOS 17.5'],
  ['Safari on an older iPad',
    'Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1',
    'Safari 12 on iPadOS 12.2'],
  ['Opera on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0',
    'Opera 111 on Windows'],
  ['Opera on Android',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 OPR/83.0.0.0',
    'Opera 83 on Android 10'],
  ['Presto Opera',
    'Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18',
    'Opera 12 on Windows'],
  ['Samsung Internet',
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
    'Samsung Internet 25 on Android 14'],
]

describe('describeUserAgent', () => {
  it.each(CASES)('%s', (_, ua, expected) => {
    expect(describeUserAgent(ua)).toBe(expected)
  })

  it('falls back to Unknown browser / Unknown OS for a missing, empty or unfamiliar header', () => {
    for (const ua of [null, undefined, '', '   ']) expect(describeUserAgent(ua)).toBe('Unknown browser on Unknown OS')
    expect(describeUserAgent('curl/8.8.0')).toBe('Unknown browser on Unknown OS')
    expect(describeUserAgent('python-httpx/0.27.0')).toBe('Unknown browser on Unknown OS')
    expect(parseUserAgent('Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)')).toEqual({ browser: 'Unknown browser', os: 'Unknown OS' })
  })

  it('tells a known browser on an unknown system, and the reverse', () => {
    expect(describeUserAgent('Mozilla/5.0 (Haiku; x86_64; rv:115.0) Gecko/20100101 Firefox/115.0')).toBe('Firefox 115 on Unknown OS')
    expect(describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) SomeBot/1.0')).toBe('Unknown browser on Windows')
  })

  it('reports the parts separately', () => {
    expect(parseUserAgent(CASES[4]![1])).toEqual({ browser: 'Chrome', browserVersion: '126', os: 'iOS', osVersion: '17.5' })
    expect(parseUserAgent(CASES[0]![1])).toEqual({ browser: 'Chrome', browserVersion: '126', os: 'Windows' })
  })
})

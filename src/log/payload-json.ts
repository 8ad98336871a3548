// The payload grammar: an entry's payload is a JSON text (RFC 8259, any value at the top,
// whitespace only space, tab, LF, CR) with three more rules, so that every reader in
// every language gets the same value out of the same signed bytes:
//   1. the member names of each object are unique (compared after unescaping, code
//      point by code point; RFC 8259 leaves duplicates to the parser, and parsers differ:
//      last wins, first wins, error);
//   2. no \u escape is a lone surrogate (a high one not followed at once by a low one
//      escape, or a low one alone): it has no UTF-8 form, and parsers replace or reject it;
//   3. no number rounds to infinity as an IEEE 754 double (|value| >= 2^1024 - 2^970,
//      e.g. 1e400): JavaScript would read Infinity. Precision is not checked: readers
//      that parse numbers as doubles lose digits beyond 2^53, as with any JSON.
// Rules 1 and 2 are I-JSON's (RFC 7493; noncharacters are allowed here), rule 3 its
// number advice made one exact rule. The payload itself is kept byte for byte as signed: nothing is
// normalised. The scanner is iterative (no recursion), so nesting depth costs no stack.

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const HEX4 = /^[0-9a-fA-F]{4}$/

class PayloadJsonProblem extends Error {}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
}

const ESCAPES = new Map<number, string>([
  [0x22, '"'], [0x5c, '\\'], [0x2f, '/'], [0x62, '\b'], [0x66, '\f'], [0x6e, '\n'], [0x72, '\r'], [0x74, '\t'],
])

/** Scans one JSON text; throws PayloadJsonProblem at the first violation. */
class Scanner {
  readonly #text: string
  #i = 0

  constructor(text: string) {
    this.#text = text
  }

  #problem(what: string): never {
    throw new PayloadJsonProblem(`${what} at character ${this.#i}`)
  }

  #skipWhitespace(): void {
    const text = this.#text
    while (this.#i < text.length && isWhitespace(text.charCodeAt(this.#i))) this.#i++
  }

  #hex4(at: number): number {
    const digits = this.#text.slice(at, at + 4)
    if (!HEX4.test(digits)) {
      this.#i = at
      this.#problem('a \\u escape without four hex digits')
    }
    return parseInt(digits, 16)
  }

  /** A string starting at the opening quote; returns its value (names are compared). */
  #string(): string {
    const text = this.#text
    let i = this.#i + 1
    let value = ''
    let from = i
    for (;;) {
      if (i >= text.length) {
        this.#i = i
        this.#problem('an unterminated string')
      }
      const c = text.charCodeAt(i)
      if (c === 0x22) break
      if (c < 0x20) {
        this.#i = i
        this.#problem('an unescaped control character in a string')
      }
      if (c !== 0x5c) {
        i++
        continue
      }
      value += text.slice(from, i)
      const e = text.charCodeAt(i + 1)
      const simple = ESCAPES.get(e)
      if (simple !== undefined) {
        value += simple
        i += 2
      } else if (e === 0x75) {
        const unit = this.#hex4(i + 2)
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text.startsWith('\\u', i + 6) ? this.#hex4(i + 8) : -1
          if (low < 0xdc00 || low > 0xdfff) {
            this.#i = i
            this.#problem('a lone surrogate escape (a high surrogate without a low one after it)')
          }
          value += String.fromCharCode(unit, low)
          i += 12
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          this.#i = i
          this.#problem('a lone surrogate escape (a low surrogate without a high one before it)')
        } else {
          value += String.fromCharCode(unit)
          i += 6
        }
      } else {
        this.#i = i
        this.#problem('an invalid escape')
      }
      from = i
    }
    value += text.slice(from, i)
    this.#i = i + 1
    return value
  }

  #number(): void {
    NUMBER.lastIndex = this.#i
    const match = NUMBER.exec(this.#text)
    if (match === null) this.#problem('an invalid number')
    if (!Number.isFinite(Number(match[0]))) this.#problem(`the number ${match[0].slice(0, 40)} is out of the range of a double`)
    this.#i += match[0].length
  }

  /** A member name and its colon, inside the object whose names are `names`. */
  #memberName(names: Set<string>): void {
    this.#skipWhitespace()
    if (this.#text.charCodeAt(this.#i) !== 0x22) this.#problem('expected a member name')
    const at = this.#i
    const name = this.#string()
    if (names.has(name)) {
      this.#i = at
      this.#problem(`a duplicate member name ${JSON.stringify(name.slice(0, 40))}`)
    }
    names.add(name)
    this.#skipWhitespace()
    if (this.#text.charCodeAt(this.#i) !== 0x3a) this.#problem("expected ':'")
    this.#i++
  }

  scan(): void {
    const text = this.#text
    // One entry per open container: its member names for an object, null for an array.
    const open: (Set<string> | null)[] = []
    for (;;) {
      // A value is expected here.
      this.#skipWhitespace()
      const c = text.charCodeAt(this.#i)
      if (c === 0x7b || c === 0x5b) {
        this.#i++
        this.#skipWhitespace()
        const close = c === 0x7b ? 0x7d : 0x5d
        if (text.charCodeAt(this.#i) === close) {
          this.#i++
        } else {
          const names = c === 0x7b ? new Set<string>() : null
          open.push(names)
          if (names !== null) this.#memberName(names)
          continue
        }
      } else if (c === 0x22) {
        this.#string()
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        this.#number()
      } else if (text.startsWith('true', this.#i)) {
        this.#i += 4
      } else if (text.startsWith('false', this.#i)) {
        this.#i += 5
      } else if (text.startsWith('null', this.#i)) {
        this.#i += 4
      } else {
        this.#problem(this.#i >= text.length ? 'the text ends where a value is expected' : 'expected a value')
      }
      // A value is complete: close containers, or go on to the next member or element.
      for (;;) {
        this.#skipWhitespace()
        if (open.length === 0) {
          if (this.#i !== text.length) this.#problem('text after the value')
          return
        }
        const names = open.at(-1)!
        const d = text.charCodeAt(this.#i)
        if (d === 0x2c) {
          this.#i++
          if (names !== null) this.#memberName(names)
          break
        }
        if (d === (names === null ? 0x5d : 0x7d)) {
          this.#i++
          open.pop()
          continue
        }
        this.#problem(names === null ? "expected ',' or ']'" : "expected ',' or '}'")
      }
    }
  }
}

/** Null when `text` is a valid payload (see above), else the first problem and where. */
export function payloadJsonProblem(text: string): string | null {
  if (!text.isWellFormed()) return 'not well-formed Unicode (a lone surrogate)'
  try {
    new Scanner(text).scan()
    return null
  } catch (err) {
    if (err instanceof PayloadJsonProblem) return err.message
    throw err
  }
}

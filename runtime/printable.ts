/**
 * Text from outside (a name inside an archive, a lock file's host) made safe to print: control characters would
 * otherwise reach the terminal as they are, where ESC sequences can recolour, move the cursor, retitle the window
 * or hide the rest of a message. C0 and C1 controls, DEL and the bidirectional overrides (which reorder what
 * follows them on screen) are written as \xNN or \uNNNN escapes; everything else, other scripts included, is kept.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** s with each unprintable character escaped: "a\x1b[31mb" -> "a\\x1b[31mb". */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

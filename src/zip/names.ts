/**
 * Entry names as the zip format says to read them (APPNOTE 4.4.4, appendix D): UTF-8 when bit 11 of
 * the general purpose flags is set, IBM code page 437 otherwise. Python's zipfile reads them so, and
 * pip installs what zipfile reads; a wheel built by an old tool without the flag names `é` as 0x82.
 */
import { UTF8_NAMES } from './records'

/** Code page 437 from 0x80 to 0xff, as Python's `cp437` codec decodes it (0x00–0x7f is ASCII). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Bytes of a name → the name, or undefined when flagged UTF-8 but not valid UTF-8 (zipfile raises then). */
export function decodeEntryName(bytes: Uint8Array, flags: number): string | undefined {
  if (flags & UTF8_NAMES) {
    try {
      return utf8.decode(bytes)
    } catch {
      return undefined
    }
  }
  let name = ''
  for (const b of bytes) name += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]
  return name
}

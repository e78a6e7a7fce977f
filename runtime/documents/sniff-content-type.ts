/**
 * Decides what an uploaded file really is from its bytes (magic numbers and, for Office files, the
 * ZIP directory), never from the declared Content-Type or the file name: a `.jpg` holding HTML is
 * refused. Only what site photos and project documents need is allowed.
 */
export type SniffResult = { ok: true; contentType: string; kind: string } | { ok: false; reason: string };

/** What may be uploaded, for messages. */
export const ALLOWED_KINDS = 'JPEG, PNG, WebP, HEIC/HEIF, GIF, PDF, DOCX, XLSX, PPTX, plain text or CSV';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1']);
const TEXT_EXTENSIONS: Record<string, string> = {
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.log': 'text/plain',
  '.csv': 'text/csv',
};

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
const startsWith = (b: Uint8Array, bytes: number[], at = 0) =>
  b.length >= at + bytes.length && bytes.every((x, i) => b[at + i] === x);

/**
 * @param bytes the whole file
 * @param fileName the client's file name (only used to tell CSV from plain text)
 * @param declaredType the client's Content-Type (only used for text files without an extension)
 */
export function sniffContentType(bytes: Uint8Array, fileName: string, declaredType = ''): SniffResult {
  if (bytes.length === 0) return { ok: false, reason: 'is empty' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { ok: true, contentType: 'image/jpeg', kind: 'JPEG' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { ok: true, contentType: 'image/png', kind: 'PNG' };
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a'))
    return { ok: true, contentType: 'image/gif', kind: 'GIF' };
  if (
    bytes.length >= 16 &&
    ascii(bytes, 0, 4) === 'RIFF' &&
    ascii(bytes, 8, 12) === 'WEBP' &&
    ['VP8 ', 'VP8L', 'VP8X'].includes(ascii(bytes, 12, 16))
  )
    return { ok: true, contentType: 'image/webp', kind: 'WebP' };
  const heif = sniffHeif(bytes);
  if (heif) return heif;
  if (bytes.length >= 5 && ascii(bytes, 0, 5) === '%PDF-')
    return { ok: true, contentType: 'application/pdf', kind: 'PDF' };
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return sniffOffice(bytes);
  return sniffText(bytes, fileName, declaredType);
}

/** ISO base media file: `ftyp` box with a HEIC or HEIF brand (AVIF and video are not HEIF here). */
function sniffHeif(b: Uint8Array): SniffResult | null {
  if (b.length < 16 || ascii(b, 4, 8) !== 'ftyp') return null;
  const size = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);
  if (size < 16 || size > Math.min(b.length, 4096)) return null;
  const major = ascii(b, 8, 12);
  const brands = [major];
  for (let at = 16; at + 4 <= size; at += 4) brands.push(ascii(b, at, at + 4));
  if (major === 'avif' || major === 'avis') return null;
  if (brands.some((x) => HEIC_BRANDS.has(x))) return { ok: true, contentType: 'image/heic', kind: 'HEIC' };
  if (brands.some((x) => HEIF_BRANDS.has(x))) return { ok: true, contentType: 'image/heif', kind: 'HEIF' };
  return null;
}

/** A ZIP is accepted only as an Office Open XML document (word/, xl/ or ppt/ parts), without macros. */
function sniffOffice(b: Uint8Array): SniffResult {
  const names = zipEntryNames(b);
  const notOffice = {
    ok: false as const,
    reason: `is a ZIP archive but not a Word, Excel or PowerPoint document; allowed are ${ALLOWED_KINDS}`,
  };
  if (!names?.includes('[Content_Types].xml')) return notOffice;
  if (names.some((n) => /(^|\/)vbaProject\.bin$/i.test(n)))
    return { ok: false, reason: 'is an Office document with macros, which are not allowed' };
  if (names.includes('word/document.xml')) return { ok: true, contentType: DOCX, kind: 'DOCX' };
  if (names.includes('xl/workbook.xml')) return { ok: true, contentType: XLSX, kind: 'XLSX' };
  if (names.includes('ppt/presentation.xml')) return { ok: true, contentType: PPTX, kind: 'PPTX' };
  return notOffice;
}

/** Entry names from the ZIP central directory, or null when it cannot be read (or is ZIP64). */
function zipEntryNames(b: Uint8Array): string[] | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = -1;
  for (let at = b.length - 22; at >= Math.max(0, b.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = view.getUint16(eocd + 10, true);
  const offset = view.getUint32(eocd + 16, true);
  if (offset === 0xffffffff || count === 0xffff) return null;
  const names: string[] = [];
  const decoder = new TextDecoder();
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > b.length || view.getUint32(at, true) !== 0x02014b50) return null;
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength > b.length) return null;
    names.push(decoder.decode(b.subarray(at + 46, at + 46 + nameLength)));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/**
 * Plain text or CSV: no control characters but tab, line breaks and form feed, not markup (HTML,
 * SVG, XML would be refused as text), and named .txt/.csv (or declared text/plain or text/csv
 * when the name has no extension). Any encoding is accepted (Excel writes GBK CSV on Chinese
 * Windows); UTF-8 is labelled as such.
 */
function sniffText(b: Uint8Array, fileName: string, declaredType: string): SniffResult {
  const refused = (what: string): SniffResult => ({
    ok: false,
    reason: `${what}; allowed are ${ALLOWED_KINDS} (checked from the content, not the name or declared type)`,
  });
  for (const x of b) {
    if ((x < 0x20 && x !== 0x09 && x !== 0x0a && x !== 0x0d && x !== 0x0c) || x === 0x7f)
      return refused('is not a file type that may be uploaded');
  }
  let text: string | null;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(b);
  } catch {
    text = null;
  }
  const head = (text ?? new TextDecoder('latin1').decode(b.subarray(0, 4096))).slice(0, 4096);
  if (/^\s*</.test(head) || /<\s*(!doctype|html|script|svg|iframe|body|\?xml)\b/i.test(head))
    return refused('looks like HTML or XML markup');
  const ext = /\.[^./\\]+$/.exec(fileName)?.[0]?.toLowerCase();
  let contentType: string | undefined;
  if (ext) contentType = TEXT_EXTENSIONS[ext];
  else {
    const declared = declaredType.split(';')[0]!.trim().toLowerCase();
    if (declared === 'text/plain' || declared === 'text/csv') contentType = declared;
  }
  if (!contentType)
    return refused(
      `is text, but text is accepted only as .txt or .csv (not ${ext ?? 'without an extension'})`,
    );
  return {
    ok: true,
    contentType: text !== null ? `${contentType}; charset=utf-8` : contentType,
    kind: contentType === 'text/csv' ? 'CSV' : 'text',
  };
}

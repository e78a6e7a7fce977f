import { inflateSync } from 'node:zlib';

/** The text a PDF shows, decoded through each font's ToUnicode map (enough to check its content). */
export function pdfText(pdf: Buffer): string {
  const s = pdf.toString('latin1');
  const objects = new Map<number, { dict: string; data: Buffer | null }>();
  for (const m of s.matchAll(/(\d+) 0 obj\b/g)) {
    const start = m.index! + m[0].length;
    const end = s.indexOf('endobj', start);
    const body = s.slice(start, end);
    const at = body.indexOf('stream');
    if (at < 0) {
      objects.set(Number(m[1]), { dict: body, data: null });
      continue;
    }
    const dict = body.slice(0, at);
    let from = start + at + 'stream'.length;
    if (s[from] === '\r') from++;
    if (s[from] === '\n') from++;
    const raw = pdf.subarray(from, s.lastIndexOf('endstream', end));
    objects.set(Number(m[1]), { dict, data: dict.includes('/FlateDecode') ? inflateSync(raw) : raw });
  }
  const hex = (h: string) =>
    String.fromCodePoint(...(h.match(/.{4}/g) ?? []).map((x) => Number.parseInt(x, 16)));
  const cmaps = new Map<number, Map<number, string>>();
  for (const [num, o] of objects) {
    const ref = /\/ToUnicode (\d+) 0 R/.exec(o.dict);
    if (!ref) continue;
    const cmap = objects.get(Number(ref[1]))!.data!.toString('latin1');
    const map = new Map<number, string>();
    for (const r of cmap.matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>\s*\[([^\]]*)\]/gi)) {
      const first = Number.parseInt(r[1], 16);
      // one entry per glyph: `<>` for none, `<0066 0069>` for a ligature
      let i = 0;
      for (const u of r[3].matchAll(/<([0-9a-f ]*)>/gi)) map.set(first + i++, hex(u[1].replace(/ /g, '')));
    }
    for (const r of cmap
      .replace(/\[[^\]]*\]/g, '')
      .matchAll(/<([0-9a-f]{4})>\s*<([0-9a-f]{4})>\s*<([0-9a-f]+)>/gi)) {
      const [a, b] = [Number.parseInt(r[1], 16), Number.parseInt(r[2], 16)];
      const u = Number.parseInt(r[3], 16);
      for (let c = a; c <= b; c++) if (!map.has(c)) map.set(c, String.fromCodePoint(u + c - a));
    }
    cmaps.set(num, map);
  }
  const fonts = new Map<string, Map<number, string>>();
  for (const o of objects.values())
    for (const f of o.dict.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
      const map = cmaps.get(Number(f[2]));
      if (map) fonts.set(f[1], map);
    }
  let text = '';
  for (const o of objects.values()) {
    const content = o.data?.toString('latin1');
    if (!content?.includes(' Tf')) continue;
    let font: Map<number, string> | undefined;
    for (const tok of content.matchAll(/\/(F\d+) [\d.]+ Tf|<([0-9a-f]*)>|(BT|Td|Tm|T\*)\b/gi)) {
      if (tok[1]) font = fonts.get(tok[1]);
      else if (tok[2] !== undefined && font)
        text += (tok[2].match(/.{4}/g) ?? []).map((g) => font!.get(Number.parseInt(g, 16)) ?? '').join('');
      else if (tok[3]) text += '\n';
    }
  }
  return text;
}

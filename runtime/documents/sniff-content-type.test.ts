import { describe, expect, it } from 'vitest';
import { docx, png, pdf, pptx, xlsx, zip } from '../../tests/support/sample-files.js';
import { sniffContentType } from './sniff-content-type.js';

const typeOf = (bytes: Uint8Array, name = 'file', declared = '') => {
  const r = sniffContentType(bytes, name, declared);
  return r.ok ? r.contentType : `refused: ${r.reason}`;
};
const ftyp = (major: string, ...compatible: string[]) => {
  const brands = [major, '\0\0\0\0', ...compatible].join('');
  const box = Buffer.alloc(8 + brands.length);
  box.writeUInt32BE(box.length, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(brands, 8, 'latin1');
  return Buffer.concat([box, Buffer.alloc(32)]);
};

describe('sniffContentType', () => {
  it('recognises the allowed images and PDF from their bytes, whatever the name says', () => {
    expect(typeOf(png(), 'photo.jpg', 'image/jpeg')).toBe('image/png');
    expect(typeOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), 'x.png')).toBe('image/jpeg');
    expect(typeOf(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toBe('image/gif');
    expect(typeOf(Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(typeOf(ftyp('heic', 'mif1', 'heic'))).toBe('image/heic');
    expect(typeOf(ftyp('mif1', 'mif1'))).toBe('image/heif');
    expect(typeOf(pdf(), 'scan')).toBe('application/pdf');
  });

  it('refuses other ISO media files (AVIF, MP4)', () => {
    expect(typeOf(ftyp('avif', 'mif1', 'avif'))).toMatch(/^refused/);
    expect(typeOf(ftyp('isom', 'mp41'))).toMatch(/^refused/);
  });

  it('accepts Office Open XML documents, but no other ZIP and no macros', () => {
    expect(typeOf(docx())).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(typeOf(xlsx())).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(typeOf(pptx())).toBe('application/vnd.openxmlformats-officedocument.presentationml.presentation');
    expect(typeOf(zip({ 'a.txt': 'hello' }), 'a.docx')).toMatch(/refused: is a ZIP archive but not/);
    expect(typeOf(docx({ 'word/vbaProject.bin': 'macro' }), 'a.docm')).toMatch(/with macros/);
    expect(typeOf(Buffer.from('PK\x03\x04garbage', 'latin1'))).toMatch(/^refused/);
  });

  it('accepts text only as .txt or .csv, labels UTF-8, and takes other encodings as they are', () => {
    expect(typeOf(Buffer.from('设备,可用率\nA,99%\n'), '月报.csv')).toBe('text/csv; charset=utf-8');
    expect(typeOf(Buffer.from('\ufeff巡检记录\r\n'), 'notes.TXT')).toBe('text/plain; charset=utf-8');
    expect(typeOf(Buffer.from([0xc9, 0xe8, 0xb1, 0xb8, 0x2c, 0x31, 0x0a]), 'gbk.csv')).toBe('text/csv');
    expect(typeOf(Buffer.from('plain'), 'README', 'text/plain')).toBe('text/plain; charset=utf-8');
    expect(typeOf(Buffer.from('plain'), 'photo.jpg', 'image/jpeg')).toMatch(/refused: is text, but/);
  });

  it('refuses markup and binary content disguised under another name', () => {
    expect(typeOf(Buffer.from('<!DOCTYPE html><script>alert(1)</script>'), 'photo.jpg')).toMatch(
      /refused: looks like HTML/,
    );
    expect(typeOf(Buffer.from('  <svg onload="alert(1)"/>'), 'a.txt')).toMatch(/refused: looks like HTML/);
    expect(typeOf(Buffer.from('hi <script>x</script>'), 'a.txt')).toMatch(/refused: looks like HTML/);
    expect(typeOf(Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]), 'setup.pdf')).toMatch(/^refused/);
    expect(typeOf(Buffer.alloc(0), 'empty.txt')).toBe('refused: is empty');
  });
});

import { describe, expect, it } from 'vitest';
import { assertJsonDepth, decodeJsonText, MAX_JSON_DEPTH } from './json-body.parser';

describe('JSON body checks', () => {
  it('counts nesting outside strings only', () => {
    expect(() => assertJsonDepth('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).not.toThrow();
    expect(() => assertJsonDepth('['.repeat(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toThrow(/deeper than 64/);
    expect(() => assertJsonDepth(`{"a":"${'{'.repeat(200)}"}`, MAX_JSON_DEPTH)).not.toThrow();
    // An escaped quote does not end the string.
    expect(() => assertJsonDepth(`{"a":"\\"${'['.repeat(200)}"}`, MAX_JSON_DEPTH)).not.toThrow();
    // Siblings do not add up.
    expect(() => assertJsonDepth(`[${'[],'.repeat(500)}[]]`, 2)).not.toThrow();
  });

  it('decodes UTF-8 strictly', () => {
    expect(decodeJsonText(Buffer.from('{"a":"é✓"}'))).toBe('{"a":"é✓"}');
    expect(() => decodeJsonText(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(/not valid UTF-8/);
    // An unpaired surrogate encoded as bytes (CESU-style) is invalid UTF-8 too.
    expect(() => decodeJsonText(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toThrow(/not valid UTF-8/);
  });
});

/**
 * Splits a command line into words the way a POSIX shell would, without
 * running one: no expansion, no globbing, no variables, no pipes. Words are
 * separated by whitespace; single quotes keep everything literal; double
 * quotes keep everything but `\"` and `\\`; outside quotes a backslash keeps
 * the next character. Returns undefined for an unterminated quote or a
 * trailing backslash.
 */
export function parseCommandLine(line: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += char;
      continue;
    }
    if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (char === "'" || char === '"') quote = char;
    else if (char === '\\') {
      if (i + 1 >= line.length) return undefined;
      word += line[++i];
    } else word += char;
  }
  if (quote !== undefined) return undefined;
  if (inWord) words.push(word);
  return words;
}

/**
 * The gateway's rules for a stdio server's command line (`MCP_SERVER_COMMAND`), so synth refuses a line the gateway
 * would refuse at start: words split on whitespace; single quotes keep everything literally; double quotes keep
 * everything but `\"` and `\\`, which stand for `"` and `\`; outside quotes a backslash takes the next character
 * literally. No shell runs: no variables, globs, pipes or redirections.
 */

/** Why a command line cannot be split. */
export type CommandLineError = 'empty' | 'unterminated single quote' | 'unterminated double quote' | 'trailing backslash';

/** The words of `line`, or why it cannot be split. */
export function splitCommandLine(line: string): { readonly words: string[] } | { readonly error: CommandLineError } {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < line.length) {
    const c = line.charAt(i);
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: 'unterminated single quote' };
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= line.length) return { error: 'unterminated double quote' };
        const d = line.charAt(i);
        if (d === '"') break;
        const next = line.charAt(i + 1);
        if (d === '\\' && (next === '"' || next === '\\')) {
          text += next;
          i += 2;
        } else {
          text += d;
          i++;
        }
      }
      word = (word ?? '') + text;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return { error: 'trailing backslash' };
      word = (word ?? '') + line.charAt(i + 1);
      i += 2;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words.length === 0 ? { error: 'empty' } : { words };
}

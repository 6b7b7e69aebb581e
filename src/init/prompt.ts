/**
 * The numbered question `hotwatch init` asks on a terminal when the repo has several main packages.
 * Enter picks the first; a wrong answer asks again (three times at most); end of input is no answer.
 */
import readline from 'node:readline';

export async function askChoice(
  question: string,
  choices: readonly string[],
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<string | undefined> {
  output.write(`${question}\n${choices.map((c, i) => `  ${i + 1}) ${c}`).join('\n')}\n`);
  const rl = readline.createInterface({ input, terminal: false });
  const prompt = (): boolean => output.write(`Number [1]: `);
  try {
    let tries = 0;
    prompt();
    for await (const line of rl) {
      const answer = line.trim();
      const n = answer === '' ? 1 : /^\d+$/.test(answer) ? Number(answer) : NaN;
      if (n >= 1 && n <= choices.length) return choices[n - 1];
      if (++tries >= 3) return undefined;
      output.write(`"${answer}" is not one of 1-${choices.length}.\n`);
      prompt();
    }
    return undefined;
  } finally {
    rl.close();
  }
}

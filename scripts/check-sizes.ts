/**
 * The house's size rule, checked in CI (`npm run check:sizes`): no file in src/ over 400 lines and no
 * function over 80 lines, unless a comment at its top says why (`size-exception: <reason>` in the file's
 * first comment, or in the doc comment just above the function).
 */
import { readFileSync } from 'node:fs';
import { globSync } from 'tinyglobby';
import ts from 'typescript';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const EXCEPTION = /size-exception:\s*\S/;

const problems: string[] = [];
for (const file of globSync('src/**/*.ts').sort()) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length;
  const head = text.slice(0, 2000).match(/^\s*\/\*\*?[\s\S]*?\*\//)?.[0] ?? '';
  if (lines > MAX_FILE_LINES && !EXCEPTION.test(head)) problems.push(`${file}: ${lines} lines (limit ${MAX_FILE_LINES})`);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const n = end - start + 1;
      const docs = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
      const parentDocs = ts.isVariableDeclaration(node.parent) ? ts.getLeadingCommentRanges(text, node.parent.parent.parent.getFullStart()) ?? [] : [];
      const excused = [...docs, ...parentDocs].some((r) => EXCEPTION.test(text.slice(r.pos, r.end)));
      if (n > MAX_FUNCTION_LINES && !excused) {
        const name = (node as ts.FunctionLikeDeclaration).name?.getText(source) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(source) : '(anonymous)');
        problems.push(`${file}:${start + 1}: function ${name} has ${n} lines (limit ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
for (const p of problems) console.log(p);
if (problems.length > 0) {
  console.log(`${problems.length} size problem(s): split the file or function, or say why at its top with 'size-exception: <reason>'`);
  process.exit(1);
}
console.log('sizes ok: no file over 400 lines, no function over 80 lines without a stated reason');

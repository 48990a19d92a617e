/**
 * Finds every regular expression in TypeScript source text, by parsing it (the TypeScript compiler's
 * own parser, so comments and strings that merely look like regexes are not counted):
 *
 * - literals: `/…/flags`;
 * - `new RegExp(pattern, flags)` and `RegExp(pattern, flags)`, whose arguments are evaluated
 *   statically when they are string literals, templates, `+` concatenations of those, or names of
 *   `const`s in the same file initialised that way. Anything else is reported as unresolvable: a
 *   pattern nobody can check must not be in the source.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface FoundRegex {
  /** Path of the file, relative to the root given to {@link findRegexesInTree}. */
  readonly file: string;
  readonly line: number;
  readonly source: string;
  readonly flags: string;
  readonly kind: 'literal' | 'RegExp';
}

export interface Unresolvable {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

export interface Findings {
  readonly regexes: FoundRegex[];
  readonly unresolvable: Unresolvable[];
}

const UNKNOWN = Symbol('unknown');

function constInitializers(file: ts.SourceFile): Map<string, ts.Expression> {
  const consts = new Map<string, ts.Expression>();
  const visit = (node: ts.Node) => {
    if (
      ts.isVariableDeclarationList(node) &&
      (node.flags & ts.NodeFlags.Const) !== 0 &&
      node.declarations.length > 0
    ) {
      for (const declaration of node.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer) {
          consts.set(declaration.name.text, declaration.initializer);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return consts;
}

function evaluate(
  node: ts.Expression,
  consts: Map<string, ts.Expression>,
  seen: Set<string> = new Set(),
): string | typeof UNKNOWN {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isParenthesizedExpression(node)) return evaluate(node.expression, consts, seen);
  if (ts.isTemplateExpression(node)) {
    let text = node.head.text;
    for (const span of node.templateSpans) {
      const value = evaluate(span.expression, consts, seen);
      if (value === UNKNOWN) return UNKNOWN;
      text += value + span.literal.text;
    }
    return text;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = evaluate(node.left, consts, seen);
    const right = evaluate(node.right, consts, seen);
    return left === UNKNOWN || right === UNKNOWN ? UNKNOWN : left + right;
  }
  if (ts.isIdentifier(node)) {
    const initializer = consts.get(node.text);
    if (initializer === undefined || seen.has(node.text)) return UNKNOWN;
    return evaluate(initializer, consts, new Set([...seen, node.text]));
  }
  return UNKNOWN;
}

/** Every regular expression in one file's text. */
export function findRegexes(fileName: string, text: string): Findings {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const consts = constInitializers(file);
  const regexes: FoundRegex[] = [];
  const unresolvable: Unresolvable[] = [];
  const lineOf = (node: ts.Node) => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(file);
      const end = literal.lastIndexOf('/');
      regexes.push({
        file: fileName,
        line: lineOf(node),
        source: literal.slice(1, end),
        flags: literal.slice(end + 1),
        kind: 'literal',
      });
    } else if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'RegExp'
    ) {
      const [patternArg, flagsArg] = node.arguments ?? [];
      const source = patternArg === undefined ? '' : evaluate(patternArg, consts);
      const flags = flagsArg === undefined ? '' : evaluate(flagsArg, consts);
      if (source === UNKNOWN || flags === UNKNOWN) {
        unresolvable.push({ file: fileName, line: lineOf(node), text: node.getText(file) });
      } else {
        regexes.push({ file: fileName, line: lineOf(node), source, flags, kind: 'RegExp' });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { regexes, unresolvable };
}

/** The non-test TypeScript files of `packages/<name>/src/` under `root`, relative to it. */
export function packageSourceFiles(root: string): string[] {
  const files: string[] = [];
  for (const pkg of readdirSync(join(root, 'packages'), { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    const src = join(root, 'packages', pkg.name, 'src');
    let entries: string[];
    try {
      entries = readdirSync(src, { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.endsWith('.ts') && !entry.endsWith('.test.ts') && !entry.endsWith('.d.ts')) {
        files.push(relative(root, join(src, entry)));
      }
    }
  }
  return files.sort();
}

/** Every regular expression in every file of {@link packageSourceFiles}. */
export function findRegexesInTree(root: string): Findings & { files: string[] } {
  const files = packageSourceFiles(root);
  const regexes: FoundRegex[] = [];
  const unresolvable: Unresolvable[] = [];
  for (const file of files) {
    const found = findRegexes(file, readFileSync(join(root, file), 'utf8'));
    regexes.push(...found.regexes);
    unresolvable.push(...found.unresolvable);
  }
  return { files, regexes, unresolvable };
}

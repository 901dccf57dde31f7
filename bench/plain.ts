// Bench helper: TypeScript files turned into plain ESM JavaScript under .tmp/bench/js, so a child
// process measured for peak memory runs on bare `node` (as dist/index.js does) without tsx's ~50 MB.
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

/** Transpiles `entry` and every relative import it reaches; returns the path of entry's .js. */
export function plainJs(root: string, entry: string, outDir: string): string {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const source = fs.readFileSync(file, 'utf8')
    const relative = ts
      .preProcessFile(source, true, true)
      .importedFiles.map(i => i.fileName)
      .filter(name => name.startsWith('.'))
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file
    })
    // a folder import ('./locks') means its index.ts, as the bundler resolves it
    const target = (name: string) =>
      fs.existsSync(path.resolve(path.dirname(file), `${name}.ts`)) ? name : `${name}/index`
    // Node's ESM resolver wants the extension the bundler-style sources leave out
    const text = relative.reduce(
      (js, name) => js.split(`'${name}'`).join(`'${target(name)}.js'`),
      outputText
    )
    const out = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js')
    fs.mkdirSync(path.dirname(out), { recursive: true })
    fs.writeFileSync(out, text)
    for (const name of relative) visit(path.resolve(path.dirname(file), `${target(name)}.ts`))
  }
  visit(entry)
  return path.join(outDir, path.relative(root, entry)).replace(/\.ts$/, '.js')
}

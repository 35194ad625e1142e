/**
 * The API reference (`npm run docs:api`: typedoc.json, HTML into docs/api/, which is generated
 * and not committed) builds from lib/'s TSDoc without an error or a warning: every type a public
 * signature names is exported (or listed in `intentionallyNotExported`), every `{@link}`
 * resolves, every tag is known. The same check as the command, minus writing the HTML.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, Logger, LogLevel, TSConfigReader, TypeDocReader } from 'typedoc';

/** The repository root: the first ancestor of this compiled file that holds typedoc.json. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'typedoc.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('typedoc.json not found above the compiled spec');
    dir = parent;
  }
  return dir;
}

/** Keeps the warnings and errors instead of printing them. */
class CollectingLogger extends Logger {
  readonly messages: string[] = [];

  override log(message: string, level: LogLevel): void {
    super.log(message, level);
    if (level >= LogLevel.Warn) this.messages.push(`${LogLevel[level]}: ${message}`);
  }
}

describe('docs/api (typedoc)', function () {
  // A full conversion of lib/ by the TypeScript compiler: seconds, not milliseconds.
  this.timeout(120_000);

  it('converts and validates lib/ without errors or warnings', async () => {
    // Only typedoc.json (and the tsconfig it names): the default readers would also parse mocha's argv.
    const app = await Application.bootstrapWithPlugins({ options: join(repositoryRoot(), 'typedoc.json') }, [new TypeDocReader(), new TSConfigReader()]);
    expect(app.logger.hasErrors(), 'typedoc.json could not be read').to.equal(false);
    expect(app.options.getValue('treatWarningsAsErrors'), 'npm run docs:api fails on a warning').to.equal(true);
    const logger = new CollectingLogger();
    app.logger = logger;
    const project = await app.convert();
    if (project === undefined) throw new Error(`typedoc could not convert lib/:\n${logger.messages.join('\n')}`);
    app.validate(project);
    expect(logger.messages).to.deep.equal([]);
    // The three entry points, named after the package's subpaths.
    expect(project.children?.map((module) => module.name)).to.deep.equal(['tiercache', 'tiercache/koa', 'tiercache/testing']);
  });
});

import { Controller, Get, Headers, Logger, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/route-access';
import { problem } from '../common/problem';
import { type ConsoleAsset, type ConsoleBuild, consoleBuildDirs, loadConsoleBuild } from './console-assets';

/**
 * The console's only scripts and styles are its own files: no inline script or style, no eval,
 * no other origin. Values from events are rendered as text by the app, and this policy is the
 * second line: an injected `<script>` or `onerror=` attribute would not run.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

export const CONSOLE_PATH = '/console/';

/**
 * Serves the operator console built by `npm run build` (console/ → dist/console-ui): the app
 * shell for every /console/* page (the app routes in the browser) and its hashed assets. Public:
 * the app itself asks for an API key and sends it to the REST API; the files hold no data.
 */
@Public()
@ApiExcludeController()
@Controller()
export class ConsoleController {
  private readonly logger = new Logger('Console');
  private readonly build: ConsoleBuild | null;

  constructor() {
    this.build = loadConsoleBuild(consoleBuildDirs(__dirname));
    if (!this.build) this.logger.warn('the console is not built (npm run build): /console/ answers 503');
  }

  @Get()
  root(@Res() reply: FastifyReply) {
    return reply.redirect(CONSOLE_PATH, 302);
  }

  @Get('console')
  withoutSlash(@Res() reply: FastifyReply) {
    // Relative asset URLs resolve against /console/, not /.
    return reply.redirect(CONSOLE_PATH, 301);
  }

  @Get('console/assets/:file')
  asset(
    @Param('file') file: string,
    @Headers('accept-encoding') encoding: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const build = this.requireBuild();
    const found = build.assets.get(file);
    if (!found) throw problem(404, 'not-found', 'Not found', `no such console asset: ${file}`);
    return send(reply, found, encoding);
  }

  /** Every other /console/… path is a page of the app: the same shell, the app reads the URL. */
  @Get('console/*')
  page(@Headers('accept-encoding') encoding: string | undefined, @Res() reply: FastifyReply) {
    return send(reply, this.requireBuild().index, encoding);
  }

  private requireBuild(): ConsoleBuild {
    if (!this.build) {
      throw problem(503, 'unavailable', 'Console not built', 'the console was not built: run npm run build');
    }
    return this.build;
  }
}

function send(reply: FastifyReply, asset: ConsoleAsset, acceptEncoding: string | undefined) {
  void reply.headers(SECURITY_HEADERS);
  void reply.header('content-type', asset.contentType);
  void reply.header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (asset.gzipped) {
    void reply.header('vary', 'accept-encoding');
    if (/\bgzip\b/.test(acceptEncoding ?? '')) {
      void reply.header('content-encoding', 'gzip');
      return reply.send(asset.gzipped);
    }
  }
  return reply.send(asset.body);
}

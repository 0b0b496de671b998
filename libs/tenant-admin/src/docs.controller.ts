import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, OpenApiBuilder, Public, type OpenApiDocument } from '@herald/api-core';
import { renderOpenApiHtml } from './openapi.html';

/** Herald's own API description, built from the running application and its zod schemas. */
@Controller()
@Public()
export class DocsController {
  private html: string | undefined;

  constructor(private readonly openapi: OpenApiBuilder) {}

  @Get('api/v1/openapi.json')
  @ApiOperation({ summary: "Herald's OpenAPI 3.1 document", tag: 'docs' })
  document(): OpenApiDocument {
    return this.openapi.document();
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  @ApiOperation({ summary: 'The API reference as an HTML page', tag: 'docs' })
  page(): string {
    this.html ??= renderOpenApiHtml(this.openapi.document());
    return this.html;
  }
}

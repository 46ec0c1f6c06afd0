import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'isPublic';
/** Marks public operations for the document builder, which gives them an empty `security` and drops the mark. */
export const PUBLIC_EXTENSION = 'x-public';

/** Opts a route out of the global JWT guard. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));

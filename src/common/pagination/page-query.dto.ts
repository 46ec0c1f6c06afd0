import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { PageSizeLimits } from './pagination.js';

/** `page` (1-based, with a total) or `cursor` (stable keyset paging), never both; `page_size` per endpoint. */
export class PageQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000,
    example: 1,
    description: '1-based page number. Not together with `cursor` (400).',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 1024,
    description: 'The `next_cursor` of the previous response, for stable keyset paging. Not together with `page` (400).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Items per page.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page_size?: number;
}

/**
 * Documents a list's `page_size` bounds on its query DTO (the list's service enforces them). `configured`:
 * CHAT_DEFAULT_PAGE_SIZE / CHAT_MAX_PAGE_SIZE set them, and the document shows their defaults.
 */
export function ApiPageSize({ defaultSize, maxSize, configured = false }: PageSizeLimits & { configured?: boolean }): ClassDecorator {
  const source = configured ? ' (CHAT_DEFAULT_PAGE_SIZE, CHAT_MAX_PAGE_SIZE)' : '';
  return (target) =>
    ApiPropertyOptional({
      type: 'integer',
      minimum: 1,
      maximum: maxSize,
      description: `Items per page: default ${defaultSize}, at most ${maxSize}${source}.`,
    })(target.prototype, 'page_size');
}

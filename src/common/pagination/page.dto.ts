import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/** Swagger schema of the list envelope for `model`, e.g. `class SessionPageDto extends PageOf(SessionResponseDto) {}`. */
export function PageOf<T>(model: Type<T>) {
  class PageDto {
    @ApiProperty({ type: [model] })
    data!: T[];

    @ApiProperty({ type: 'integer', example: 42, description: 'Items matching the filters, over all pages.' })
    total!: number;

    @ApiProperty({ type: 'integer', nullable: true, example: 1, description: 'null when paging by cursor.' })
    page!: number | null;

    @ApiProperty({ type: 'integer', example: 10 })
    page_size!: number;

    @ApiProperty({ example: true })
    has_more!: boolean;

    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as `cursor` to get the next page; null on the last page.',
      example: 'WyIyMDI2LTExLTIyVDEwOjAwOjAwLjAwMFoiXQ.2f9a…',
    })
    next_cursor!: string | null;
  }
  return PageDto;
}

/** The envelope of a list with a `metadata` filter, whose count is bounded: `total` may then be an estimate. */
export function FilterablePageOf<T>(model: Type<T>) {
  class FilterablePageDto extends PageOf(model) {
    @ApiProperty({
      example: false,
      description:
        'false: `total` is exact. true (only with a `metadata` filter): more than METADATA_EXACT_TOTAL_LIMIT (default 1000) ' +
        'items match, and `total` is an estimate (at least that limit + 1); counting them all would read every match.',
    })
    total_is_estimate!: boolean;
  }
  return FilterablePageDto;
}

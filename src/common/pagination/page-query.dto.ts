import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** `page` (1-based, with a total) or `cursor` (stable keyset paging), never both; `page_size` per endpoint. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, example: 1, description: '1-based page number. Leave out when paging by cursor.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous response, for stable keyset paging.' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, description: 'Items per page (each list documents its default and maximum).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page_size?: number;
}

import { Module } from '@nestjs/common';
import { Pagination } from './pagination.js';

@Module({ providers: [Pagination], exports: [Pagination] })
export class PaginationModule {}

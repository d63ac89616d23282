import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** The operators' web page; everything it shows comes through the admin API. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}

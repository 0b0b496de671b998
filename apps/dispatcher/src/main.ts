import 'reflect-metadata';
import { PrismaService } from '@herald/db';
import { bootstrapWorker } from '@herald/observability';
import { DispatcherModule } from './dispatcher.module';

bootstrapWorker('dispatcher', (config) => DispatcherModule.forRoot(config), (app) => app.get(PrismaService).assertReachable());

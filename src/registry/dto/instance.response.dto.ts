import type { Instance, InstanceCheck, Registration, ServiceInstances } from '@waypost/client';
import { CHECK_STATUSES, CheckStatus } from '../../model/check';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CHECK_TYPES,
  CheckType,
  CheckView,
  HealthCheckSpec,
  INSTANCE_STATUSES,
  InstanceStatus,
  InstanceView,
} from '../../model/instance';

/** Swagger shape of an instance's check as it is kept (defaults applied, durations in ms). */
export class HealthCheckResponseDto implements HealthCheckSpec {
  @ApiProperty({ enum: CHECK_TYPES }) type!: CheckType;
  @ApiProperty({ example: '/health' }) path!: string;
  @ApiProperty({ nullable: true, type: Number }) interval!: number | null;
  @ApiProperty({ nullable: true, type: Number }) timeout!: number | null;
  @ApiProperty({ nullable: true, type: Number }) ttl!: number | null;
}

export class CheckResponseDto implements CheckView, InstanceCheck {
  @ApiProperty({ example: 'service:4f5a0f6e-2f1c-4d4b-9a57-7d1f1d7a9e0b' }) id!: string;
  @ApiProperty({ example: 'Service health' }) name!: string;
  @ApiProperty({ enum: ['http', 'tcp', 'ttl'] }) type!: CheckView['type'];
  @ApiProperty({ enum: CHECK_STATUSES }) status!: CheckStatus;
  @ApiProperty({ description: 'Why the check is in its status ("" when passing)' })
  output!: string;
  @ApiProperty({ nullable: true, type: String }) lastCheckAt!: string | null;
}

/**
 * Swagger shape of an instance as every read returns it (never with a token or its hash). It
 * implements the model's InstanceView, so the documented shape and the answered one cannot drift.
 */
export class InstanceResponseDto implements InstanceView, Instance {
  @ApiProperty({ example: '4f5a0f6e-2f1c-4d4b-9a57-7d1f1d7a9e0b' }) id!: string;
  @ApiProperty({ example: 'user-service' }) serviceType!: string;
  @ApiProperty({ example: '10.0.0.7' }) host!: string;
  @ApiProperty({ example: 3000 }) port!: number;
  @ApiProperty({ example: 'http://10.0.0.7:3000' }) url!: string;
  @ApiProperty({ enum: INSTANCE_STATUSES }) status!: InstanceStatus;
  @ApiProperty({
    type: HealthCheckResponseDto,
    description: 'Durations in milliseconds; null means the default',
  })
  healthCheck!: HealthCheckResponseDto;
  @ApiProperty({
    type: [CheckResponseDto],
    description: 'Every check (one for a native registration); UP only while all pass',
  })
  checks!: CheckResponseDto[];
  @ApiProperty({ example: { commit: 'a1b2c3' } }) metadata!: Record<string, string>;
  @ApiProperty({ example: ['blue'] }) tags!: string[];
  @ApiProperty({ nullable: true, type: String }) version!: string | null;
  @ApiProperty({ nullable: true, type: String }) zone!: string | null;
  @ApiProperty({ example: 1 }) weight!: number;
  @ApiProperty({ example: '2026-11-23T08:00:00.000Z' }) registeredAt!: string;
  @ApiProperty({ nullable: true, type: String }) lastCheckAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) lastSuccessAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) lastHeartbeatAt!: string | null;
  @ApiProperty({ example: 0 }) consecutiveFailures!: number;
  @ApiProperty({ nullable: true, type: Number }) responseTimeMs!: number | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Last check failure, in words',
  })
  lastError!: string | null;
  @ApiPropertyOptional({ description: 'True once STOP_CHECKS_AFTER failures stopped the checks' })
  checksStopped!: boolean;
}

export class RegistrationResponseDto extends InstanceResponseDto implements Registration {
  @ApiProperty({ description: 'The instance id (same as id)' }) serviceId!: string;
  @ApiProperty({ description: 'Instance token: shown only here, stored only as a hash' })
  token!: string;
}

export class ServiceInstancesResponseDto implements ServiceInstances {
  @ApiProperty({ example: 'user-service' }) serviceType!: string;
  @ApiProperty({ type: [InstanceResponseDto] }) instances!: InstanceResponseDto[];
}

export class ServicesSummaryResponseDto {
  @ApiProperty({ example: { 'user-service': { instances: 3, up: 2 } } })
  services!: Record<string, { instances: number; up: number }>;
}

export class HistoryEntryResponseDto {
  @ApiProperty({ example: '2026-11-23T08:01:03.000Z' }) at!: string;
  @ApiProperty({ enum: INSTANCE_STATUSES }) from!: string;
  @ApiProperty({ enum: INSTANCE_STATUSES }) to!: string;
  @ApiProperty({
    example: 'check',
    description: 'check, traffic, ttl, heartbeat, operator or deregister_after',
  })
  reason!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'HTTP 500',
    description: "The probe's or the failed gateway request's error",
  })
  detail!: string | null;
}

export class InstanceHistoryResponseDto {
  @ApiProperty() serviceId!: string;
  @ApiProperty({ type: [HistoryEntryResponseDto] }) history!: HistoryEntryResponseDto[];
}

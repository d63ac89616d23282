import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { INSTANCE_STATUSES } from '../../model/instance';
import { HealthCheckDto } from './health-check.dto';

/** Swagger shape of an instance as every read returns it (never with a token or its hash). */
export class InstanceResponseDto {
  @ApiProperty({ example: '4f5a0f6e-2f1c-4d4b-9a57-7d1f1d7a9e0b' }) id!: string;
  @ApiProperty({ example: 'user-service' }) serviceType!: string;
  @ApiProperty({ example: '10.0.0.7' }) host!: string;
  @ApiProperty({ example: 3000 }) port!: number;
  @ApiProperty({ example: 'http://10.0.0.7:3000' }) url!: string;
  @ApiProperty({ enum: INSTANCE_STATUSES }) status!: string;
  @ApiProperty({
    type: HealthCheckDto,
    description: 'Durations in milliseconds; null means the default',
  })
  healthCheck!: HealthCheckDto;
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

export class RegistrationResponseDto extends InstanceResponseDto {
  @ApiProperty({ description: 'The instance id (same as id)' }) serviceId!: string;
  @ApiProperty({ description: 'Instance token: shown only here, stored only as a hash' })
  token!: string;
}

export class ServiceInstancesResponseDto {
  @ApiProperty({ example: 'user-service' }) serviceType!: string;
  @ApiProperty({ type: [InstanceResponseDto] }) instances!: InstanceResponseDto[];
}

export class ServicesSummaryResponseDto {
  @ApiProperty({ example: { 'user-service': { instances: 3, up: 2 } } })
  services!: Record<string, { instances: number; up: number }>;
}

import { IsIn, IsOptional } from 'class-validator';
import { AppError } from './errors/app-error';
import { createValidationPipe } from './validation';

class StatusQuery {
  @IsOptional()
  @IsIn(['UP', 'DOWN'])
  status?: string;
}

const asQuery = { type: 'query' as const, metatype: StatusQuery };

describe('the global validation pipe', () => {
  it('validates a query once and hands the same frozen result to the next identical one', async () => {
    const pipe = createValidationPipe();
    const first = await pipe.transform({ status: 'UP' }, asQuery);
    expect(first).toBeInstanceOf(StatusQuery);
    expect(Object.isFrozen(first)).toBe(true);
    await expect(pipe.transform({ status: 'UP' }, asQuery)).resolves.toBe(first);
    const other = await pipe.transform({ status: 'DOWN' }, asQuery);
    expect(other).not.toBe(first);
    expect(other).toMatchObject({ status: 'DOWN' });
  });

  it('never remembers an invalid query: it is refused every time, naming the field', async () => {
    const pipe = createValidationPipe();
    for (let i = 0; i < 2; i++) {
      const refusal = pipe.transform({ status: 'SIDEWAYS' }, asQuery);
      await expect(refusal).rejects.toBeInstanceOf(AppError);
      await expect(refusal).rejects.toMatchObject({ message: expect.stringMatching(/^status/) });
    }
    await expect(pipe.transform({ color: 'red' }, asQuery)).rejects.toBeInstanceOf(AppError);
  });

  it('remembers nothing of bodies: each is validated and built anew', async () => {
    const pipe = createValidationPipe();
    const asBody = { type: 'body' as const, metatype: StatusQuery };
    const first = await pipe.transform({ status: 'UP' }, asBody);
    const second = await pipe.transform({ status: 'UP' }, asBody);
    expect(second).not.toBe(first);
    expect(Object.isFrozen(first)).toBe(false);
  });
});

import type { Request } from 'express';
import type { JWTPayload } from 'jose';
import passport from 'passport';
import { ExtractJwt } from 'passport-jwt';

export type VerifyToken = (token: string) => Promise<JWTPayload>;
type Done = (error: unknown, user?: unknown) => void;
type Validate = (payload: JWTPayload, done: Done) => void;

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Passport's side of an external token: takes the bearer token, has `verifyToken` (jose) check it, and
 * hands the claims to the strategy's validate(). A token that does not verify is a failure (the next
 * strategy may still accept it, e.g. a local token in AUTH_MODE=both); a failure of our own, such as the
 * provider's keys being out of reach or the database down, is an error that ends authentication.
 */
export class BearerJoseStrategy extends passport.Strategy {
  constructor(
    private readonly options: { verifyToken: VerifyToken; isOwnFailure: (error: unknown) => boolean },
    // Not `validate`: the Nest subclass's validate() is what this callback calls.
    private readonly onVerified: Validate,
  ) {
    super();
  }

  override authenticate(request: Request): void {
    // passport adds these to the instance it runs for each request.
    const outcome = this as unknown as passport.StrategyCreatedStatic;
    const token = bearerToken(request);
    if (!token) return outcome.fail(401);
    this.options.verifyToken(token).then(
      (payload) =>
        this.onVerified(payload, (error, user) => {
          if (error) outcome.error(error);
          else if (user) outcome.success(user);
          else outcome.fail(401);
        }),
      (error: unknown) => (this.options.isOwnFailure(error) ? outcome.error(error) : outcome.fail(error as passport.StrategyFailure, 401)),
    );
  }
}

import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { ApiKeyAuthService } from './api-key-auth.service';
import type { AuthenticatedRequest, Principal } from './principal';

/** Passport's bearer strategy; it only delegates (STYLE 16). */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly auth: ApiKeyAuthService) {
    super({ passReqToCallback: true });
  }

  validate(request: AuthenticatedRequest, token: string): Promise<Principal> {
    return this.auth.authenticate(token, request.ip);
  }
}

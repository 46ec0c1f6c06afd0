/** Passport strategy names, shared by the strategies and the global guard that lists them. */
export const JWT_STRATEGY = 'jwt';
export const API_KEY_STRATEGY = 'api-key';

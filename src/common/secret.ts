/** What a key given to Waypost (registration, admin, a client API key) must look like. */
export const SECRET = /^[\x21-\x7e]{16,512}$/;
export const SECRET_RULE = '16-512 printable characters without spaces';

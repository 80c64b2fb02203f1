// @writ/postgres: Writ's authority state shared through PostgreSQL (fleet mode, issue 20).
export { VERSION } from './version.js';

/**
 * The dashboard's files' prefix in the runtime folder, which stays flat (nodes get it as one tar of plain names):
 * the page the browser asks for as /dashboard/app.js is dashboard-app.js there. Free of imports: the head loads it.
 */
export const DASHBOARD_PREFIX = 'dashboard-';

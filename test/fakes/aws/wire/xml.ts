// XML as the two Query protocols answer it. EC2 lists wrap each entry in <item>, awsQuery (IAM, STS) in <member>.

export type XmlValue = string | number | boolean | Date | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

function inner(value: XmlValue, item: string): string {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => element(item, v, item)).join('');
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => element(k, v, item)).join('');
  return escapeXml(String(value));
}

export function element(name: string, value: XmlValue, item: 'item' | 'member' | string): string {
  if (value === undefined) return '';
  return `<${name}>${inner(value, item)}</${name}>`;
}

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** EC2: <ActionResponse xmlns=…><requestId/>fields…</ActionResponse> */
export function ec2Response(action: string, requestId: string, body: XmlObject): string {
  return `${PROLOG}<${action}Response xmlns="${EC2_NAMESPACE}">${element('requestId', requestId, 'item')}${inner(body, 'item')}</${action}Response>`;
}

/** EC2 errors carry no namespace and spell RequestID with a capital D. */
export function ec2Error(code: string, message: string, requestId: string): string {
  return `${PROLOG}<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

/** awsQuery: <ActionResponse><ActionResult>…</ActionResult><ResponseMetadata/></ActionResponse>; no Result when the action has no output. */
export function queryResponse(namespace: string, action: string, requestId: string, result: XmlObject | undefined): string {
  const res = result === undefined ? '' : element(`${action}Result`, result, 'member');
  return `${PROLOG}<${action}Response xmlns="${namespace}">${res}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function queryError(namespace: string, code: string, message: string, status: number, requestId: string): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return `${PROLOG}<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

// HEAD answers what GET would, without the body (RFC 9110 §9.3.2); Node drops the body itself.
export { default } from './activity.get'

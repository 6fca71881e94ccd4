/** Returns url if it is http(s), protocol-relative-free relative, or blob:; else ''. */
export function safeUrl(url: string | undefined | null): string {
  if (!url) return '';
  const u = url.trim();
  if (/^https?:\/\//i.test(u) || /^blob:/i.test(u)) return u;
  if (u.startsWith('/') && !u.startsWith('//')) return u;
  return '';
}

export function isImage(contentType: string): boolean {
  return /^image\/(png|jpe?g|gif|webp)$/i.test(contentType);
}

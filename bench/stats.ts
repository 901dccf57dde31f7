// Figures shared by the benches.
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`

// Figures shared by the benches.
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`

/** The 18-package set of issue 9: 36 wheels, 177 MB unzipped (bench/build.ts, bench/contents.ts). */
export const SET_18 = [
  'boto3',
  'pandas',
  'numpy',
  'requests',
  'beautifulsoup4',
  'lxml',
  'sqlalchemy',
  'psycopg2-binary',
  'pydantic',
  'jsonschema',
  'structlog',
  'python-dateutil',
  'pytz',
  'bcrypt',
  'Jinja2',
  'PyYAML',
  'python-dotenv',
  'Pillow'
]

/** The 18-package set of issue 9: 36 wheels, 177 MB unzipped. */
export const REQUIREMENTS = [
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

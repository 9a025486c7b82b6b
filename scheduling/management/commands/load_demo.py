from django.core.management.base import BaseCommand

from scheduling.demo import load_demo


class Command(BaseCommand):
    help = "Create the demo clinic (rooms, one user of every role, ~40 patients). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help="Password for the demo logins.")

    def handle(self, *args, password: str, **options):
        if load_demo(password=password):
            self.stdout.write(self.style.SUCCESS("Demo clinic loaded."))
        else:
            self.stdout.write("Demo clinic already loaded; nothing changed.")

"""Android entry point (buildozer looks for main.py): the Hesabu field app.

On a desktop use `hesabu app` instead.
"""

from field_app.ui.app import main

if __name__ == "__main__":
    main()

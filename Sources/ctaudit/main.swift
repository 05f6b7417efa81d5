import CtauditCLI

EntryPoint.main()
